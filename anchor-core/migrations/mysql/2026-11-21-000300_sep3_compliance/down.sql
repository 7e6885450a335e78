DROP TABLE sep3_allowed_users;
DROP TABLE sep3_allowed_fi;
DROP TABLE sep3_auth_data;
DROP TABLE sep3_pending_requests;
DROP TABLE sep3_authorized_transactions;
