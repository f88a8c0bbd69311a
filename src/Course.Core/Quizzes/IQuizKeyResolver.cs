namespace Course.Core.Quizzes;

/// <summary>Computes the key of a computed quiz item (a tokenizer's answer); implemented where tokenizers live.</summary>
public interface IQuizKeyResolver
{
    double Compute(ComputeSpec spec);
}
