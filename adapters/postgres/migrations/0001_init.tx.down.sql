-- dealercrm 0001 down: drops the crm tables and their data (not the schema).

DROP TABLE IF EXISTS {{.Table "event_participations"}};
DROP TABLE IF EXISTS {{.Table "complaints"}};
DROP TABLE IF EXISTS {{.Table "interactions"}};
DROP TABLE IF EXISTS {{.Table "insurance_policies"}};
DROP TABLE IF EXISTS {{.Table "service_orders"}};
DROP TABLE IF EXISTS {{.Table "sales"}};
DROP TABLE IF EXISTS {{.Table "vehicles"}};
DROP TABLE IF EXISTS {{.Table "leads"}};
DROP TABLE IF EXISTS {{.Table "customers"}};
DROP TABLE IF EXISTS {{.Table "dealers"}};
