// LocalStack always starts DynamoDB Local with -javaagent:ddb-local-loader-0.1.jar, a patch it
// downloads that only lifts the limit of 20 indexes per table. Offline there is no download, and
// Java refuses to start without the agent, so infra/localstack.sh compiles this do-nothing agent
// in its place. The helpdesk's table has three indexes.
public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String args, java.lang.instrument.Instrumentation inst) {}
}
