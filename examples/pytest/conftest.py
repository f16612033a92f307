"""Nothing to set up: installing chaoskit enables its pytest plugin (fixtures ``chaos_lab``
and ``chaos``, marker ``chaos``)."""
