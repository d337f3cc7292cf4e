-- win_rate_coverage: how many of the deals closed in the last :funnel_window_days days carry each optional
-- column the win-rate tables use, and what is empty for want of it. An export without a column still lands
-- (the column is optional in the mapping); the tables that need it are empty or partial, and this says why.
-- lost_reason and competitor are counted over the lost deals (a won deal has neither).
-- A column is ok when at least :coverage_ok_share of the deals carry it (any competitor at all is ok: few
-- losses name one), partial below that, missing when none does.
-- inputs: closed_deals, as_of_dates; parameters :funnel_window_days, :coverage_ok_share

with

deals as (
    select * from closed_deals
),

windowed as (
    select
        as_of_dates.as_of_date,
        deals.*
    from as_of_dates
    inner join deals
        on deals.closed_date between date_sub(as_of_dates.as_of_date, :funnel_window_days - 1) and as_of_dates.as_of_date
        and deals.known_date <= as_of_dates.as_of_date
),

counted as (
    select
        as_of_date,
        count(*) as closed_deals,
        count_if(not is_won) as lost_deals,
        count(rep_id) as with_rep_id,
        count(lead_source) as with_lead_source,
        count_if(has_closed_date) as with_closed_date,
        count_if(not is_won and lost_reason is not null) as with_lost_reason,
        count_if(not is_won and competitor is not null) as with_competitor,
        count(deal_value) as with_deal_value
    from windowed
    group by as_of_date
),

coverage as (
    select
        counted.as_of_date,
        needs.*
    from counted
    lateral view inline(array(
        named_struct('column_name', 'rep_id', 'closed_deals', counted.closed_deals,
            'with_value', counted.with_rep_id,
            'needed_by', 'rep_consistency and the consultant rows of win_rate_by_segment and sales_velocity'),
        named_struct('column_name', 'lead_source', 'closed_deals', counted.closed_deals,
            'with_value', counted.with_lead_source,
            'needed_by', 'the lead-source rows of win_rate_by_segment, funnel_stage_conversion and the mix'),
        named_struct('column_name', 'closed_date', 'closed_deals', counted.closed_deals,
            'with_value', counted.with_closed_date,
            'needed_by', 'the closed date (the day the closing was exported is used instead)'),
        named_struct('column_name', 'lost_reason', 'closed_deals', counted.lost_deals,
            'with_value', counted.with_lost_reason,
            'needed_by', 'lost_reasons (losses show as Not recorded)'),
        named_struct('column_name', 'competitor', 'closed_deals', counted.lost_deals,
            'with_value', counted.with_competitor,
            'needed_by', 'the competitors in lost_reasons and the competitor alerts'),
        named_struct('column_name', 'deal_value', 'closed_deals', counted.closed_deals,
            'with_value', counted.with_deal_value,
            'needed_by', 'the value figures of sales_velocity (deals per day are still shown)')
    )) needs  -- (no "as": Sail 0.7.2 cannot resolve a lateral view alias written with it)
),

final as (
    select
        -- ids
        as_of_date,
        column_name,
        -- measures
        closed_deals,
        with_value,
        round(cast(with_value as double) / nullif(closed_deals, 0), 6) as share,
        case
            when with_value = 0 then 'missing'
            when column_name = 'competitor' or with_value >= :coverage_ok_share * closed_deals then 'ok'
            else 'partial'
        end as status,
        case
            when with_value = 0 then concat(
                'No deal closed in the last ', :funnel_window_days, ' days has ', column_name, ': empty for want of it: ',
                needed_by, '. Map it in conf/<env>/sources.yaml if the export has it.'
            )
            when column_name <> 'competitor' and with_value < :coverage_ok_share * closed_deals then concat(
                with_value, ' of ', closed_deals, ' deals have ', column_name, ': ', needed_by, ' cover those only.'
            )
            else concat(with_value, ' of ', closed_deals, ' deals have ', column_name, '.')
        end as note
    from coverage
)

select * from final
