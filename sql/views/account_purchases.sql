-- account_purchases: every invoice of a repeat-buying account within the run's reach, one row per invoice.
-- An invoice belongs to its own account_id, else to its opportunity's (the CRM's account_id); its value is the
-- invoice's, else the opportunity's deal value times the units (an export without invoice amounts).
-- Every account table reads it, so they all mean the same thing by a purchase.
-- inputs: retail, customer_pipeline, as_of_dates; parameter :account_reach_days (accounts.history_days plus the
-- health episodes' look back: the history of the earliest trailing date)

with

bounds as (
    select
        date_sub(min(as_of_date), :account_reach_days) as first_date,
        max(as_of_date) as last_date
    from as_of_dates
),

opportunity_accounts as (
    -- the account of each opportunity that has one (an opportunity's account does not change)
    select
        opty_id,
        account_id,
        deal_value
    from customer_pipeline
    where account_id is not null
),

invoices as (
    select
        retail.retail_id,
        coalesce(retail.account_id, opportunity_accounts.account_id) as account_id,
        retail.retail_date,
        retail.dealer_code,
        retail.product_line,
        retail.units,
        coalesce(retail.value, opportunity_accounts.deal_value * retail.units) as value
    from retail
    left join opportunity_accounts
        on retail.opty_id = opportunity_accounts.opty_id
    cross join bounds
    where retail.retail_date > bounds.first_date
      and retail.retail_date <= bounds.last_date
),

final as (
    select
        -- ids
        account_id,
        retail_id,
        dealer_code,
        product_line,
        -- dates
        retail_date as purchase_date,
        -- measures
        cast(units as bigint) as units,
        value
    from invoices
    where account_id is not null
)

select * from final
