-- dealercrm 0033: the stamp of the daily run's inputs, kept with the
-- report snapshot (issue 14: a re-run of the day that changes nothing).
--
-- stamp digests what the run that stored the snapshot read: the
-- configuration, the day, each input table's rows of the dealer counted
-- with the sum of their xmin (any insert, update or delete changes it),
-- and the tasks counted with the sum of their versions as the run left
-- them. A run of the same day whose stamp is the stored one is skipped
-- (lifecycle.WithSkipUnchanged); '' (rows of before this migration, runs
-- that could not stamp) matches none. subjects is what that run loaded.

ALTER TABLE {{.Table "lifecycle_reports"}}
    ADD COLUMN stamp text NOT NULL DEFAULT '',
    ADD COLUMN subjects integer NOT NULL DEFAULT 0;
