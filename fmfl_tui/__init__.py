"""fmfl-tui: the Textual lab console of fmfl.

Pick a setup, start the headless engine as a background process, watch per-epoch
S_sens, LM-score and accuracies stream into live charts, and read the zone table at the
end; or replay a recorded sweep, or attach to one running elsewhere. Never imports
torch: everything it knows comes through the event protocol of `engine.events`.
"""
