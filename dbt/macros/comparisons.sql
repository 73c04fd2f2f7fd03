{#- Comparison conventions of contract §7 (written once; used by every comparison mart). -#}

{#- Percent change, only when the earlier count is at least 20 (else NULL: 小基数). -#}
{% macro pct_change(now, before, min_base=20) -%}
    case when {{ before }} >= {{ min_base }}
        then {{ dbt.cast('100.0 * (' ~ now ~ ' - ' ~ before ~ ') / ' ~ before, type_double()) }}
    end
{%- endmacro %}

{% macro is_small_base(before, min_base=20) -%}
    coalesce({{ before }} < {{ min_base }}, true)
{%- endmacro %}

{#- Poisson z = 2(√now − √before). -#}
{% macro poisson_z(now, before) -%}
    {{ dbt.cast('2 * (sqrt(' ~ now ~ ') - sqrt(' ~ before ~ '))', type_double()) }}
{%- endmacro %}

{#- |z| ≥ 3 alert, ≥ 2 watch, else none. -#}
{% macro poisson_signal(z) -%}
    case
        when abs({{ z }}) >= 3 then 'alert'
        when abs({{ z }}) >= 2 then 'watch'
        else 'none'
    end
{%- endmacro %}
