-- A runnable SQL example (docs/sql.md): Nexmark bids from CSV files, queries q1 and q2 written
-- as in the nexmark repository, results into CSV part files, then read back.
-- Run from the repository root:  build/bin/eddy sql -f samples/sql/nexmark.sql

CREATE TABLE bid (
  auction  BIGINT,
  bidder  BIGINT,
  price  BIGINT,
  channel  VARCHAR,
  url  VARCHAR,
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = 'samples/sql/data/bid',
  'format' = 'csv'
);

CREATE TABLE nexmark_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/eddy-sql-sample/q1',
  'format' = 'csv'
);

CREATE TABLE nexmark_q2 (
  auction  BIGINT,
  price  BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/eddy-sql-sample/q2',
  'format' = 'csv'
);

SET 'parallelism.default' = '2';

-- q1: convert each bid value from dollars to euros.
INSERT INTO nexmark_q1
SELECT
    auction,
    bidder,
    0.908 * price as price, -- convert dollar to euro
    `dateTime`,
    extra
FROM bid;

-- q2: the bids of a set of auctions.
INSERT INTO nexmark_q2
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;

-- The q2 results, read back from the part files the INSERT wrote.
SELECT auction, price FROM nexmark_q2;
