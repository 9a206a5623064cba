-- Useful questions to ask user_events. Run with: psql "$URL" -f sql/queries.sql

-- Conversion funnel per category: how many users viewed, added to cart, purchased.
SELECT category,
       count(DISTINCT user_id) FILTER (WHERE event_type = 'view')        AS viewers,
       count(DISTINCT user_id) FILTER (WHERE event_type = 'add_to_cart') AS carters,
       count(DISTINCT user_id) FILTER (WHERE event_type = 'purchase')    AS buyers,
       round(100.0 * count(DISTINCT user_id) FILTER (WHERE event_type = 'purchase')
             / nullif(count(DISTINCT user_id) FILTER (WHERE event_type = 'view'), 0), 1)
                                                                         AS view_to_buy_pct
FROM user_events
GROUP BY category
ORDER BY buyers DESC;

-- Revenue per minute of event time, last hour of data (the pipeline keeps the windows). The
-- newest event comes from user_events' event_time index: event_stats_minute is a view that sums
-- its windows as asked, and its max(minute) would sum them all.
SELECT minute, sum(events) AS purchases, sum(revenue) AS revenue
FROM event_stats_minute
WHERE event_type = 'purchase'
  AND minute > (SELECT max(event_time) FROM user_events) - interval '1 hour'
GROUP BY 1
ORDER BY 1;

-- Top 10 products by revenue, with their views and cart adds.
SELECT product_id,
       min(product_name)                                    AS product_name,
       min(category)                                        AS category,
       count(*) FILTER (WHERE event_type = 'view')          AS views,
       count(*) FILTER (WHERE event_type = 'add_to_cart')   AS cart_adds,
       count(*) FILTER (WHERE event_type = 'purchase')      AS purchases,
       coalesce(sum(price) FILTER (WHERE event_type = 'purchase'), 0) AS revenue
FROM user_events
GROUP BY product_id
ORDER BY revenue DESC
LIMIT 10;

-- Pipeline latency: seconds from event time to storage, per minute of ingestion.
SELECT date_trunc('minute', ingested_at)                               AS minute,
       count(*)                                                        AS rows,
       round(avg(extract(epoch FROM ingested_at - event_time))::numeric, 1) AS avg_seconds
FROM user_events
GROUP BY 1
ORDER BY 1 DESC
LIMIT 10;

-- shopstream files: the file ledger, newest first.
SELECT file_id, regexp_replace(path, '^.*/', '') AS file, size, modified_at, committed_at,
       committed_at - found_at AS took, lines, stored, duplicates, skipped, errors,
       errors_by_reason, error_file
FROM ingested_files ORDER BY committed_at DESC LIMIT 20;
