"""The console's widgets, one per module: charts, progress, log, zone table, setup form."""
