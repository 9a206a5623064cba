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

-- Revenue per minute of event time, last hour of data.
SELECT date_trunc('minute', event_time) AS minute,
       count(*)                         AS purchases,
       sum(price)                       AS revenue
FROM user_events
WHERE event_type = 'purchase'
  AND event_time > (SELECT max(event_time) FROM user_events) - interval '1 hour'
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
