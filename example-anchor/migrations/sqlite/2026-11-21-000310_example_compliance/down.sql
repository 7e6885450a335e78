DROP TABLE example_sanctions_reviews;
DROP TABLE example_federation;
