-- account_sentiment, its figures: per account and as-of date, the calls on its opportunities in the last
-- :sentiment_recent_days (recent) and the :sentiment_prior_days before them (prior), each scored -1..1 by
-- gold/account_sentiment.py (outcome plus notes); the mean score of each window, its change, the answered share,
-- the recent calls scoring at or below :sentiment_negative_below, the negative terms heard most in the recent
-- window (up to three, comma-separated), the calls the LLM labelled. Label: Unknown below :sentiment_min_calls recent calls, else
-- Negative (mean below :sentiment_negative_below), Positive (above :sentiment_positive_above) or Neutral. Trend:
-- Declining or Improving when the mean moved :sentiment_decline_points or more (both windows with enough calls),
-- else Stable.
-- inputs: account_call_scores (the scored account_calls), as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

calls as (
    select * from account_call_scores
),

windowed as (
    select
        dates.as_of_date,
        calls.*,
        calls.call_date > date_sub(dates.as_of_date, :sentiment_recent_days) as is_recent
    from calls
    inner join dates
        on calls.call_date <= dates.as_of_date
       and calls.call_date > date_sub(dates.as_of_date, :sentiment_recent_days + :sentiment_prior_days)
),

measures as (
    select
        as_of_date,
        account_id,
        sum(case when is_recent then 1 else 0 end) as calls_recent,
        sum(case when is_recent and is_connected then 1 else 0 end) as connected_recent,
        sum(case when is_recent then 0 else 1 end) as calls_prior,
        -- exact means: the scores summed as whole millionths (a sum of doubles ends in bits that depend on the
        -- order calls are added in, and a mean on a label's threshold must give the same label every night)
        sum(case when is_recent then cast(round(call_score * 1000000.0D) as bigint) end)
            / nullif(count(case when is_recent then call_score end), 0) / 1000000.0D as score_recent,
        sum(case when not is_recent then cast(round(call_score * 1000000.0D) as bigint) end)
            / nullif(count(case when not is_recent then call_score end), 0) / 1000000.0D as score_prior,
        sum(case when is_recent and call_score <= :sentiment_negative_below then 1 else 0 end)
            as negative_calls_recent,
        max(call_date) as last_call_date,
        sum(case when is_recent and scored_by = 'llm' then 1 else 0 end) as llm_scored
    from windowed
    group by as_of_date, account_id
),

term_counts as (
    select as_of_date, account_id, term, count(*) as mentions
    from (
        select as_of_date, account_id, explode(negative_terms) as term
        from windowed
        where is_recent
    ) as heard
    group by as_of_date, account_id, term
),

top_terms as (
    -- sorted as "<zero-padded mentions>|<term>" strings (sorting structs is not portable across engines)
    select
        as_of_date,
        account_id,
        array_join(transform(
            slice(sort_array(collect_list(concat(lpad(cast(mentions as string), 6, '0'), '|', term)), false), 1, 3),
            entry -> split(entry, '[|]')[1]
        ), ', ') as top_terms
    from term_counts
    group by as_of_date, account_id
),

final as (
    select
        -- ids
        measures.as_of_date,
        measures.account_id,
        -- measures
        cast(measures.calls_recent as bigint) as calls_recent,
        cast(measures.connected_recent as bigint) as connected_recent,
        cast(measures.calls_prior as bigint) as calls_prior,
        case when measures.calls_recent > 0 then measures.connected_recent / measures.calls_recent end
            as answer_rate_recent,
        measures.score_recent,
        measures.score_prior,
        measures.score_recent - measures.score_prior as score_change,
        cast(measures.negative_calls_recent as bigint) as negative_calls_recent,
        case
            when measures.calls_recent < :sentiment_min_calls then 'Unknown'
            when measures.score_recent < :sentiment_negative_below then 'Negative'
            when measures.score_recent > :sentiment_positive_above then 'Positive'
            else 'Neutral'
        end as label,
        case
            when measures.calls_recent < :sentiment_min_calls or measures.calls_prior < :sentiment_min_calls
                then 'Unknown'
            when measures.score_recent - measures.score_prior <= -:sentiment_decline_points then 'Declining'
            when measures.score_recent - measures.score_prior >= :sentiment_decline_points then 'Improving'
            else 'Stable'
        end as trend,
        measures.last_call_date,
        coalesce(top_terms.top_terms, '') as top_terms,
        cast(measures.llm_scored as bigint) as llm_scored
    from measures
    left join top_terms
        on measures.as_of_date = top_terms.as_of_date and measures.account_id = top_terms.account_id
)

select * from final
