"""A journey's results as people read them (the console's API and `kairos stats`,
`kairos journeys show|diagram`): pure computations over the journey's counters, its
definition and its live enrolments. Reading them is kairos.store's job."""
