DROP TABLE sep12_callback_outbox;
