-- dealercrm 0006 down: drops the campaign tables and their data.

DROP TABLE IF EXISTS {{.Table "campaign_accessory_targets"}};
DROP TABLE IF EXISTS {{.Table "campaign_members"}};
DROP TABLE IF EXISTS {{.Table "campaign_profiles"}};
DROP TABLE IF EXISTS {{.Table "campaigns"}};
