-- dealercrm 0021: the report snapshots of the daily lifecycle run
-- (package lifecycle, issue 14).
--
-- lifecycle_reports has one row per dealer: the reports its latest daily
-- run computed from the subjects it loaded (lifecycle.ReportSnapshot):
-- the KPIs and comebacks of the standard periods of the run's day and
-- the abnormal-customer report as of that day, each as JSON, and the
-- instants the day starts and ends in the dealer's zone (it is served
-- only in between). GET
-- /v1/reports/kpis, /comebacks and /abnormal serve today's requests from
-- it instead of reading every vehicle with its visits. A run of an
-- earlier day never replaces a later one (ON CONFLICT … WHERE day <=).
-- It holds no more personal data than the reports (vehicle and customer
-- IDs, VINs), and a new run replaces it daily.

CREATE TABLE {{.Table "lifecycle_reports"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    day         date NOT NULL,
    computed_at timestamptz NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    kpis        jsonb NOT NULL,
    comebacks   jsonb NOT NULL,
    abnormal    jsonb NOT NULL,
    CONSTRAINT {{.Name "lifecycle_reports" "pkey"}} PRIMARY KEY (dealer_id)
);
