# DynamoDB Local from the Maven Central jars, laid out like amazon/dynamodb-local
# (DynamoDBLocal.jar beside DynamoDBLocal_lib, java as the entrypoint), on a base with a JRE.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
WORKDIR /home/dynamodblocal
COPY DynamoDBLocal.jar ./
COPY DynamoDBLocal_lib ./DynamoDBLocal_lib
ENTRYPOINT ["java", "-Djava.library.path=./DynamoDBLocal_lib"]
