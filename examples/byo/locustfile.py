"""Load on the byo API: mostly order creation (DynamoDB, then Redis), some counter reads."""

from locust import HttpUser, constant_throughput, task


class Customer(HttpUser):
    wait_time = constant_throughput(5)

    @task(3)
    def create_order(self) -> None:
        self.client.post("/orders", name="POST /orders")

    @task(1)
    def count(self) -> None:
        self.client.get("/count", name="GET /count")
