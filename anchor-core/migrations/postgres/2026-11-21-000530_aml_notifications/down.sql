DROP TABLE aml_notifications;
