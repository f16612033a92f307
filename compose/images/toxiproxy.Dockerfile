# Toxiproxy from the go-installed binary, for machines that cannot pull
# ghcr.io/shopify/toxiproxy; the same entrypoint as that image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY toxiproxy-server /toxiproxy
ENTRYPOINT ["/toxiproxy"]
