{{ versioned_records('cases', key='case_id', counting_date='filed_on', has_updated_at=true) }}
