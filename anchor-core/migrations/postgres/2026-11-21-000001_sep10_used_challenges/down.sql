DROP TABLE sep10_used_challenges;
