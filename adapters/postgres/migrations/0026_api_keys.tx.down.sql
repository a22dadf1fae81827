-- dealercrm 0026 down: drops the managed API keys.

DROP TABLE IF EXISTS {{.Table "api_keys"}};
