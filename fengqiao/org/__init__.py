"""Places, police stations, departments, staff, roles, jurisdictions and 2+N teams."""
