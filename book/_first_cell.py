# Installs the book's package where it is missing (on Colab, say); elsewhere, nothing.
import importlib.util, os, subprocess, sys
RELEASE = "rnnbook @ git+https://github.com/rnnbook/rnnbook@v0.1.0"
if importlib.util.find_spec("rnnbook") is None:
    target = os.environ.get("RNNBOOK_INSTALL", RELEASE)  # or a local checkout
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", target], check=True)
    importlib.invalidate_caches()
if "google.colab" in sys.modules:  # Colab draws ipywidgets 8 with its custom manager
    import ipywidgets
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        from google.colab import output
        output.enable_custom_widget_manager()
