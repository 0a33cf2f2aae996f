"""redshift-serverless routes: every JSON 1.1 call is POST /, the operation is in X-Amz-Target."""

from .responses import RedshiftServerlessResponse

url_bases = [r"https?://redshift-serverless\.(.+)\.amazonaws\.com"]

url_paths = {"{0}/$": RedshiftServerlessResponse.dispatch}
