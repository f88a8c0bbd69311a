using Course.Cli;

// `./course VERB …`: machine-readable verbs print one JSON value as the last line of stdout;
// progress and logs go to stderr.
return await CommandLine.RunAsync(args);
