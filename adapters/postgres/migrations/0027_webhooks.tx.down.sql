-- dealercrm 0027 down: drops the webhook subscriptions and their log.

DROP TABLE IF EXISTS {{.Table "webhook_deliveries"}};
DROP TABLE IF EXISTS {{.Table "webhook_subscriptions"}};
