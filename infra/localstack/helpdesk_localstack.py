"""A Lambda runtime executor for LocalStack in host mode (no Docker).

LocalStack community runs Lambda functions in Docker containers only. Without Docker its
CloudFormation stops at the first AWS::Lambda::Function ("Installation of lambda-runtime ...
failed"). This executor lets functions, versions and event source mappings be created, so a
stack deploys and its configuration can be checked, and refuses every invocation with a message
that says why. The helpdesk's own code runs locally through the runner (`helpdesk-local --aws`),
which plays the event sources.

infra/localstack.sh installs it into LocalStack's virtualenv (with an entry point in the
`localstack.lambda.runtime_executor` group) and selects it with LAMBDA_RUNTIME_EXECUTOR=host-none.
"""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

NO_DOCKER = (
    "LocalStack runs in host mode without Docker: Lambda functions can be created but not "
    "invoked. Run the helpdesk's handlers with `cargo run -p helpdesk-local -- --aws`, or start "
    "LocalStack with Docker (docker compose up) to invoke functions."
)


class NoDockerExecutor(RuntimeExecutor):
    def start(self, env_vars):
        raise LambdaRuntimeException(NO_DOCKER)

    def stop(self):
        pass

    def get_address(self):
        return "127.0.0.1"

    def get_endpoint_from_executor(self):
        return "127.0.0.1"

    def get_runtime_endpoint(self):
        return "http://127.0.0.1/_localstack_lambda/" + self.id

    def invoke(self, payload):
        raise LambdaRuntimeException(NO_DOCKER)

    def get_logs(self):
        return NO_DOCKER

    @classmethod
    def prepare_version(cls, function_version):
        pass

    @classmethod
    def cleanup_version(cls, function_version):
        pass


class NoDockerExecutorPlugin(RuntimeExecutorPlugin):
    name = "host-none"

    def load(self, *args, **kwargs):
        return NoDockerExecutor
