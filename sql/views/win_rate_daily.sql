-- win_rate_daily: the closed deals that count in a win rate (closed_deals.is_counted), per dimension and
-- segment (with its parent, for the shrinkage), closed date and the date the closing was known: closed, won,
-- won value and won cycle days. Every win-rate table sums these rows over its windows.
-- A deal without a value for a dimension (an optional column the export lacks) is left out of that dimension
-- only; win_rate_coverage says how many deals carry each column.
-- inputs: closed_deals

with

counted as (
    select * from closed_deals
    where is_counted
),

by_dimension as (
    select
        counted.closed_date,
        counted.known_date,
        counted.data_start_date,
        counted.is_won,
        counted.deal_value,
        counted.cycle_days,
        dimensions.*
    from counted
    lateral view inline(array(
        named_struct(
            'dimension', 'overall', 'segment', 'All', 'parent_dimension', cast(null as string),
            'parent_segment', cast(null as string), 'state', cast(null as string), 'district', cast(null as string)
        ),
        named_struct(
            'dimension', 'region', 'segment', counted.region, 'parent_dimension', 'overall',
            'parent_segment', 'All', 'state', cast(null as string), 'district', cast(null as string)
        ),
        named_struct(
            'dimension', 'district', 'segment', concat(counted.district, ', ', counted.state),
            'parent_dimension', 'region', 'parent_segment', counted.region,
            'state', counted.state, 'district', counted.district
        ),
        named_struct(
            'dimension', 'dealer', 'segment', counted.dealer_code, 'parent_dimension', 'district',
            'parent_segment', concat(counted.district, ', ', counted.state),
            'state', counted.state, 'district', counted.district
        ),
        named_struct(
            'dimension', 'rep', 'segment', counted.rep_id, 'parent_dimension', 'dealer',
            'parent_segment', counted.dealer_code, 'state', counted.state, 'district', counted.district
        ),
        named_struct(
            'dimension', 'product_line', 'segment', counted.product_line, 'parent_dimension', 'overall',
            'parent_segment', 'All', 'state', cast(null as string), 'district', cast(null as string)
        ),
        named_struct(
            'dimension', 'lead_source', 'segment', counted.lead_source, 'parent_dimension', 'overall',
            'parent_segment', 'All', 'state', cast(null as string), 'district', cast(null as string)
        ),
        named_struct(
            'dimension', 'customer_type', 'segment', counted.customer_type, 'parent_dimension', 'overall',
            'parent_segment', 'All', 'state', cast(null as string), 'district', cast(null as string)
        ),
        named_struct(
            'dimension', 'enquiry_type', 'segment', counted.opty_category, 'parent_dimension', 'overall',
            'parent_segment', 'All', 'state', cast(null as string), 'district', cast(null as string)
        )
    )) dimensions  -- (no "as": Sail 0.7.2 cannot resolve a lateral view alias written with it)
),

final as (
    select
        -- segment
        dimension,
        segment,
        parent_dimension,
        parent_segment,
        state,
        district,
        -- dates
        closed_date,
        known_date,
        min(data_start_date) as data_start_date,
        -- measures
        count(*) as closed,
        count_if(is_won) as won,
        sum(case when is_won then deal_value end) as won_value,
        count_if(is_won and deal_value is not null) as won_with_value,
        sum(case when is_won then cycle_days end) as won_cycle_days
    from by_dimension
    where segment is not null
    group by dimension, segment, parent_dimension, parent_segment, state, district, closed_date, known_date
)

select * from final
