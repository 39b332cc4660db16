-- A runnable Kafka SQL example (docs/sql.md "Kafka, MQTT and JDBC tables"): Nexmark bids from a
-- CSV file written to a Kafka topic as JSON, read back from the topic with event time, counted
-- in 20-second windows into a second topic (CSV), and that topic shown by a SELECT.
-- Run it with samples/sql/kafka_bids.sh, which starts eddy-kafka-mock on loopback and puts its
-- address where @BOOTSTRAP@ stands.

CREATE TABLE bid_file (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  `dateTime` TIMESTAMP(3), extra VARCHAR
) WITH ('connector' = 'filesystem', 'path' = 'samples/sql/data/bid', 'format' = 'csv');

CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  `dateTime` TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'bids',
  'properties.bootstrap.servers' = '@BOOTSTRAP@',
  'properties.group.id' = 'eddy-sql-sample',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);

CREATE TABLE bids_per_window (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), bids BIGINT, top_price BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'bids_per_window',
  'properties.bootstrap.servers' = '@BOOTSTRAP@',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'csv'
);

SET 'parallelism.default' = '2';

-- The file's bids into the topic (one JSON object per message).
INSERT INTO bid SELECT * FROM bid_file;

-- Bids and the top price per 20-second window, read from the topic on event time.
INSERT INTO bids_per_window
SELECT window_start, window_end, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '20' SECOND))
GROUP BY window_start, window_end;

-- What the second topic holds.
SELECT * FROM bids_per_window;
