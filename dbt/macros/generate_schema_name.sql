{#- Use the custom schema name as-is (staging, intermediate); marts stay in the target
    schema (main) so readers query `fct_township_daily` without a prefix. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
