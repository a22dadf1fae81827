-- dealercrm 0028 down: drops the records of messages sent.

DROP TABLE IF EXISTS {{.Table "message_sends"}};
