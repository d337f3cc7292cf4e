-- dealer_market_features_5d: one row of demand and supply signals per dealer and as-of date.
-- inputs: dealer_geo, dealer_leads_5d, dealer_retail_5d, dealer_stock (this run's rows)

with

geo as (
    select * from dealer_geo
),

leads as (
    select * from dealer_leads_5d
),

sales as (
    select * from dealer_retail_5d
),

stock as (
    select * from dealer_stock
),

final as (
    select
        -- ids
        geo.as_of_date,
        geo.dealer_code,
        -- geography
        geo.taluka,
        geo.district,
        geo.state,
        -- demand
        coalesce(leads.leads_cur, 0) as leads_cur,
        coalesce(leads.leads_prev, 0) as leads_prev,
        coalesce(leads.lead_growth, cast(0 as double)) as lead_growth,
        coalesce(leads.hi_leads_cur, 0) as hi_leads_cur,
        coalesce(leads.hi_leads_prev, 0) as hi_leads_prev,
        coalesce(leads.hi_lead_growth, cast(0 as double)) as hi_lead_growth,
        -- sales
        coalesce(sales.retail_cur, 0) as retail_cur,
        coalesce(sales.retail_prev, 0) as retail_prev,
        coalesce(sales.retail_growth, cast(0 as double)) as retail_growth,
        -- supply
        coalesce(stock.total_stock, 0) as total_stock,
        coalesce(stock.saleable_stock, 0) as saleable_stock
    from geo
    left join leads
        on geo.as_of_date = leads.as_of_date and geo.dealer_code = leads.dealer_code
    left join sales
        on geo.as_of_date = sales.as_of_date and geo.dealer_code = sales.dealer_code
    left join stock
        on geo.as_of_date = stock.as_of_date and geo.dealer_code = stock.dealer_code
)

select * from final
