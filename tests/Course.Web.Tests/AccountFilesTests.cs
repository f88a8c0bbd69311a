using Course.Core.Configuration;
using Course.Web.Features.Account;

namespace Course.Web.Tests;

public class CommonPasswordValidatorTests
{
    [Theory]
    [InlineData("Password1!")]
    [InlineData("password")]
    [InlineData("P@ssw0rd2024!")]
    [InlineData("qwertyuiop123")]
    [InlineData("ILoveYou2026!!")]
    [InlineData("123456789012")]
    [InlineData("!!Dragon1234")]
    public void Common_passwords_and_their_usual_disguises_are_refused(string password) =>
        Assert.True(CommonPasswordValidator.IsCommon(password), password);

    [Theory]
    [InlineData("Transformers-2026!")]
    [InlineData("tulip quartz ladder")]
    [InlineData("correct horse battery staple")]
    public void Passwords_not_on_the_list_pass(string password) =>
        Assert.False(CommonPasswordValidator.IsCommon(password), password);

    [Fact]
    public async Task The_validator_reports_its_error_code_to_identity()
    {
        var result = await new CommonPasswordValidator().ValidateAsync(null!, new Course.Core.Data.CourseUser(), "Password1!");

        Assert.Equal([CommonPasswordValidator.ErrorCode], result.Errors.Select(e => e.Code));
    }
}

public class OwnerOnlyFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-owner-only-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Folders_are_created_0700_and_files_0600_and_existing_ones_are_narrowed()
    {
        var folder = OwnerOnly.CreateFolder(Path.Combine(_root, "data", "nested"));
        var written = Path.Combine(folder, "secret.txt");
        await OwnerOnly.WriteAllTextAsync(written, "password: x\n");
        var loose = Path.Combine(_root, "loose.db");
        File.WriteAllText(loose, "");
        File.SetUnixFileMode(loose, (UnixFileMode)0b110_100_100); // 0644
        OwnerOnly.CreateFile(loose);

        Assert.Equal(OwnerOnly.FolderPermissions, File.GetUnixFileMode(folder));
        Assert.Equal(OwnerOnly.FolderPermissions, File.GetUnixFileMode(Path.Combine(_root, "data")));
        Assert.Equal(OwnerOnly.FilePermissions, File.GetUnixFileMode(written));
        Assert.Equal("password: x\n", File.ReadAllText(written));
        Assert.Equal(OwnerOnly.FilePermissions, File.GetUnixFileMode(loose));
    }
}
