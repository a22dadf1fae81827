-- dealercrm 0002 down: drops the satisfaction tables and their data.

DROP TABLE IF EXISTS {{.Table "satisfaction_responses"}};
DROP TABLE IF EXISTS {{.Table "satisfaction_questionnaires"}};
DROP TABLE IF EXISTS {{.Table "satisfaction_hierarchies"}};
