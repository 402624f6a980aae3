"""Vehicles and parking (issue 13): car parks, spaces, lanes with barrier/camera devices, passes, visitor cars,
lane decisions from plate captures, temporary parking fees, zombie cars and fire-lane stops."""
