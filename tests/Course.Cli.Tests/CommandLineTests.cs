namespace Course.Cli.Tests;

/// <summary>The command line itself: help per verb, suggestions for a mistyped verb, typed options.</summary>
[Collection(CliCollection.Name)]
public sealed class CommandLineTests(CliRunner cli)
{
    [Fact]
    public async Task Help_on_a_verb_lists_its_options_on_stdout_and_exits_0()
    {
        var (code, stdout, stderr) = await cli.RunAsync("tokenize", "--help");

        Assert.True(code == 0, stderr);
        Assert.Contains(" tokenize [<TEXT>...] [options]", stdout); // the root is named after the executable: testhost here
        Assert.Contains("--max-length <N>", stdout);
        Assert.Contains("--truncation <do_not_truncate|longest_first|only_first|only_second>", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Help_VERB_is_that_verbs_help()
    {
        var (code, stdout, _) = await cli.RunAsync("help", "grade");

        Assert.Equal(0, code);
        Assert.Contains(" grade [options]", stdout);
        Assert.Contains("--assignment <ID>", stdout);
    }

    [Fact]
    public async Task Help_lists_every_verb()
    {
        var (code, stdout, _) = await cli.RunAsync("help");

        Assert.Equal(0, code);
        foreach (var verb in new[] { "backup", "migrate", "content", "tokenize", "predict", "evaluate", "train", "models", "datasets", "assignments", "grade", "submit", "submissions", "worker" })
        {
            Assert.Contains($"  {verb} ", stdout);
        }
    }

    [Theory]
    [InlineData(new[] { "tokenze", "--model", "gpt2", "hi" }, "tokenze", "error: unknown command 'tokenze'", "tokenize")]
    [InlineData(new[] { "models", "lst" }, "lst", "error: unknown command 'lst'", "list")]
    [InlineData(new[] { "models", "list", "--tsk", "fill-mask" }, "--tsk", "error: unknown option '--tsk'", "--task")]
    public async Task A_typo_is_refused_with_a_suggestion(string[] args, string typo, string error, string suggestion)
    {
        var (code, stdout, stderr) = await cli.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(error, stderr);
        Assert.Contains($"'{typo}' was not matched. Did you mean one of the following?\n{suggestion}\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_typed_option_refuses_a_non_number()
    {
        var (code, stdout, stderr) = await cli.RunAsync("predict", "--task", "fill-mask", "--model", "course/minilm-fill-mask", "--top-k", "five", "a [MASK]");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("error: --top-k must be a whole number from 1 to 1000, not 'five'", stderr);
        Assert.Contains("./course predict --help lists the options", stderr);
    }

    [Fact]
    public async Task A_group_verb_alone_names_its_subcommands()
    {
        var (code, _, stderr) = await cli.RunAsync("models");

        Assert.Equal(2, code);
        Assert.Contains("error: ./course models needs one of: list, import, show, build-demos", stderr);
    }
}
