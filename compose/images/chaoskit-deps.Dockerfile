# chaoskit's dependencies in /opt/chaoskit, from the wheels scripts/compose-images built (no
# index): the layer under the chaoskit image, rebuilt only when pyproject.toml or the base
# changes, so a change to chaoskit's source rebuilds only its own small layer on top.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY . /wheels
RUN python3 -m venv /opt/chaoskit \
 && /opt/chaoskit/bin/pip install --no-cache-dir --no-index --find-links /wheels \
      $(ls /wheels/*.whl | grep -v '/chaoskit-') \
 && rm -rf /wheels
