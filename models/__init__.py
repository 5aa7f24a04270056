"""The propensity model: calibrated LightGBM, honest backtests, reason codes, MLflow registry.

Public API (what the nightly job, the CLI and notebooks use):

    from models.propensity import PropensityModel      # fit(frame, label) / predict_proba / save / load
    from models.backtest import run_backtest            # honest backtest at a cutoff
    from models.training import train_and_register      # `upsell train`
    from models.registry import load_champion           # -> (PropensityModel, VersionInfo)
    from models.reasons import reason_codes             # top-3 plain-language reasons per row
    from models.config import load_config               # models/defaults.toml + a user TOML
"""
