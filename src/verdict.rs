//! The verdict vocabulary: [`Class`], what kind of limit (or non-limit) stopped a request. A
//! leaf, so the `fixes` table and `classify` both name classes without importing each other;
//! `classify::Class` re-exports it. [`Provider`] (who answered) lives here for the same reason;
//! the detection is `classify::provider`.

use serde::Serialize;

/// What kind of limit (or non-limit) stopped a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Class {
    Rpm,
    Itpm,
    Otpm,
    Daily,
    Concurrency,
    Spend,
    Workspace,
    Acceleration,
    Overload,
    BatchQueue,
    SubscriptionCap,
    NotRateLimit,
    Unknown,
}

impl Class {
    pub const ALL: &'static [Class] = &[
        Class::Rpm,
        Class::Itpm,
        Class::Otpm,
        Class::Daily,
        Class::Concurrency,
        Class::Spend,
        Class::Workspace,
        Class::Acceleration,
        Class::Overload,
        Class::BatchQueue,
        Class::SubscriptionCap,
        Class::NotRateLimit,
        Class::Unknown,
    ];

    /// The stable name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Rpm => "rpm",
            Class::Itpm => "itpm",
            Class::Otpm => "otpm",
            Class::Daily => "daily",
            Class::Concurrency => "concurrency",
            Class::Spend => "spend",
            Class::Workspace => "workspace",
            Class::Acceleration => "acceleration",
            Class::Overload => "overload",
            Class::BatchQueue => "batch_queue",
            Class::SubscriptionCap => "subscription_cap",
            Class::NotRateLimit => "not_rate_limit",
            Class::Unknown => "unknown",
        }
    }

    /// Parses a class name; accepts `-` for `_` and a few obvious aliases.
    pub fn parse(s: &str) -> Option<Class> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match s.as_str() {
            "ramp" => "acceleration",
            "overloaded" | "529" => "overload",
            "batch" => "batch_queue",
            "subscription" => "subscription_cap",
            "billing" => "spend",
            other => other,
        };
        Class::ALL.iter().copied().find(|c| c.as_str() == alias)
    }

    /// True for classes that are rate limits in the broad sense (everything but
    /// `not_rate_limit`): these make the exit status 1.
    pub fn is_rate_limit(self) -> bool {
        self != Class::NotRateLimit
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The service that refused the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[cfg_attr(feature = "generate", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Anthropic's first-party API (or an Anthropic-operated cloud offering).
    Anthropic,
    /// Claude on Amazon Bedrock: AWS Service Quotas apply.
    Bedrock,
    /// Claude on Google Vertex AI: Google Cloud quotas apply.
    Vertex,
    /// Another vendor answered: OpenAI (`insufficient_quota`, platform.openai.com).
    #[serde(rename = "openai")]
    OpenAi,
    /// Another vendor answered: the Gemini API (generativelanguage.googleapis.com), not Vertex.
    Gemini,
    /// Another vendor answered: Kimi (Moonshot AI).
    Moonshot,
    /// Another vendor answered: GitHub Copilot.
    Copilot,
    /// Nothing in the capture tells.
    #[default]
    Unknown,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Bedrock => "bedrock",
            Provider::Vertex => "vertex",
            Provider::OpenAi => "openai",
            Provider::Gemini => "gemini",
            Provider::Moonshot => "moonshot",
            Provider::Copilot => "copilot",
            Provider::Unknown => "unknown",
        }
    }

    /// Another vendor than Anthropic and the two clouds serving Claude: its own quotas apply,
    /// and no Anthropic tool or page can show them.
    pub fn is_foreign(self) -> bool {
        matches!(
            self,
            Provider::OpenAi | Provider::Gemini | Provider::Moonshot | Provider::Copilot
        )
    }

    /// Quotas that are not Anthropic's (a cloud or a foreign vendor): never advise `probe`,
    /// `limits`, the Console, a tier or `anthropic-ratelimit-*` headers.
    pub fn not_anthropic_quota(self) -> bool {
        self.is_cloud() || self.is_foreign()
    }

    /// A cloud whose quotas are not Anthropic's: never advise `probe`, `limits` or the Console.
    pub fn is_cloud(self) -> bool {
        matches!(self, Provider::Bedrock | Provider::Vertex)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
