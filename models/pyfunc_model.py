"""MLflow "models from code" entry point: MLflow runs this file to build the pyfunc, so nothing is
pickled (``registry.log_and_register`` logs it; see ``models.pyfunc``)."""
import mlflow.models

from models.pyfunc import PropensityPyfunc

mlflow.models.set_model(PropensityPyfunc())
