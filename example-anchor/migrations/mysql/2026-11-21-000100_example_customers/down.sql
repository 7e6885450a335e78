DROP TABLE example_customer_reviews;
DROP TABLE example_customer_fields;
DROP TABLE example_customers;
