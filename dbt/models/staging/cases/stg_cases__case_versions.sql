{{ versioned_records('cases', key='case_id') }}
