-- A runnable SQL example (docs/sql.md): Nexmark bids from CSV files, queries q1, q2 and q11
-- written as in the nexmark repository, results into CSV part files, then read back; a window
-- aggregate, a group aggregate (its changelog), an OVER aggregation and a MATCH_RECOGNIZE
-- pattern shown by SELECTs.
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

CREATE TABLE nexmark_q11 (
  bidder BIGINT,
  bid_count BIGINT,
  starttime TIMESTAMP(3),
  endtime TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '/tmp/eddy-sql-sample/q11',
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

-- q11: how many bids a user makes in each session they are active (10 s without a bid ends one).
INSERT INTO nexmark_q11
SELECT
    B.bidder,
    count(*) as bid_count,
    SESSION_START(B.dateTime, INTERVAL '10' SECOND) as starttime,
    SESSION_END(B.dateTime, INTERVAL '10' SECOND) as endtime
FROM bid B
GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);

-- Bids and the highest price per channel in 10-second tumbling windows (a window aggregate).
SELECT channel, window_start, window_end, COUNT(*) AS bids, MAX(price) AS top
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
WHERE channel IN ('Apple', 'Google')
GROUP BY channel, window_start, window_end;

-- Bids per channel so far (a group aggregate: +I, then -U/+U as the counts change).
SELECT channel, COUNT(*) AS bids FROM bid WHERE price > 4700000 GROUP BY channel;

-- Each bid of auction 1052 with the sum of its last three bids' prices (an OVER aggregation,
-- its window named in the WINDOW clause and extended by a ROWS frame).
SELECT auction, price, `dateTime`,
    SUM(price) OVER (w ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last_three
FROM bid
WHERE auction = 1052
WINDOW w AS (PARTITION BY auction ORDER BY `dateTime`);

-- Per auction, a bid followed directly by one more than twice as high within 10 seconds (a
-- MATCH_RECOGNIZE pattern, run by the CEP library).
SELECT * FROM bid
MATCH_RECOGNIZE (
  PARTITION BY auction
  ORDER BY `dateTime`
  MEASURES A.price AS low, B.price AS high, MATCH_ROWTIME() AS matched_at
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B) WITHIN INTERVAL '10' SECOND
  DEFINE B AS B.price > 2 * A.price
) AS T;
