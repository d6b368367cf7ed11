//! What a game is made of and where it is in its life.

use serde::{Deserialize, Serialize};

use crate::named_enum;

/// Where the pet's adventure takes place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Theme {
    Garden,
    House,
    Beach,
    Space,
    Park,
}

named_enum!(Theme, "theme", {
    Garden => "garden",
    House => "house",
    Beach => "beach",
    Space => "space",
    Park => "park",
});

/// How hard the generated levels are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Difficulty {
    Easy,
    Normal,
    Hard,
}

named_enum!(Difficulty, "difficulty", {
    Easy => "easy",
    Normal => "normal",
    Hard => "hard",
});

/// Where a game is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GameStatus {
    Generating,
    Ready,
    Failed,
    /// Bought with a package whose payment has not arrived yet: made once it does.
    AwaitingPayment,
}

named_enum!(GameStatus, "game status", {
    Generating => "generating",
    Ready => "ready",
    Failed => "failed",
    AwaitingPayment => "awaiting_payment",
});

/// Where a piece of studio work (a cut-out, a sprite, an animation) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StudioState {
    Queued,
    Running,
    Done,
    Failed,
}

named_enum!(StudioState, "studio state", {
    Queued => "queued",
    Running => "running",
    Done => "done",
    Failed => "failed",
});

/// The stages a game is made in, in order; each is a durable job step on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipelineStage {
    RemoveBackground,
    Pixelize,
    Animate,
    AssembleGame,
}

named_enum!(PipelineStage, "pipeline stage", {
    RemoveBackground => "remove_background",
    Pixelize => "pixelize",
    Animate => "animate",
    AssembleGame => "assemble_game",
});

impl PipelineStage {
    /// What the progress bar says while this stage runs.
    pub fn label(self) -> &'static str {
        match self {
            Self::RemoveBackground => "Cutting your pet out",
            Self::Pixelize => "Drawing the pixel-art sprite",
            Self::Animate => "Animating",
            Self::AssembleGame => "Building the levels",
        }
    }

    /// The stage after this one; `None` after the last.
    pub fn next(self) -> Option<Self> {
        Self::ALL.get(self as usize + 1).copied()
    }

    /// Position from 0, for progress bars.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The share of the work done when this stage starts, in percent.
    pub fn percent_before(self) -> u8 {
        // At most 3 * 100 / 4: always fits.
        u8::try_from(self as usize * 100 / Self::ALL.len()).unwrap_or(100)
    }
}

/// How many levels a game has: 1 to [`LevelCount::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct LevelCount(u32);

impl LevelCount {
    pub const MAX: u32 = 12;
    /// What the create page offers first.
    pub const DEFAULT: LevelCount = LevelCount(3);

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for LevelCount {
    type Error = String;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("choose between 1 and {} levels", Self::MAX))
        }
    }
}

impl From<LevelCount> for u32 {
    fn from(n: LevelCount) -> u32 {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_all_follows_declaration_order() {
        for (i, theme) in Theme::ALL.into_iter().enumerate() {
            assert_eq!(theme as usize, i);
            assert_eq!(theme.as_str().parse::<Theme>(), Ok(theme));
        }
        for (i, d) in Difficulty::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i);
            assert_eq!(d.as_str().parse::<Difficulty>(), Ok(d));
        }
        for (i, s) in GameStatus::ALL.into_iter().enumerate() {
            assert_eq!(s as usize, i);
            assert_eq!(s.as_str().parse::<GameStatus>(), Ok(s));
        }
        for (i, s) in PipelineStage::ALL.into_iter().enumerate() {
            assert_eq!(s as usize, i);
            assert_eq!(s.as_str().parse::<PipelineStage>(), Ok(s));
        }
    }

    #[test]
    fn unknown_and_capitalised_names_are_refused_with_the_choices() {
        let err = "moon".parse::<Theme>().expect_err("refused");
        assert_eq!(
            err.to_string(),
            "unknown theme: choose one of garden, house, beach, space, park"
        );
        assert!("Garden".parse::<Theme>().is_err());
        assert!("".parse::<Difficulty>().is_err());
    }

    #[test]
    fn json_carries_names_and_refuses_unknown_ones() {
        assert_eq!(
            serde_json::to_string(&PipelineStage::AssembleGame).expect("json"),
            "\"assemble_game\""
        );
        let theme: Theme = serde_json::from_str("\"space\"").expect("known");
        assert_eq!(theme, Theme::Space);
        let err = serde_json::from_str::<Difficulty>("\"nightmare\"").expect_err("unknown");
        assert!(
            err.to_string().contains("choose one of easy, normal, hard"),
            "{err}"
        );
    }

    #[test]
    fn stages_run_in_order_with_their_share_of_progress() {
        assert_eq!(PipelineStage::Pixelize.next(), Some(PipelineStage::Animate));
        assert_eq!(PipelineStage::AssembleGame.next(), None);
        assert_eq!(
            PipelineStage::ALL.map(PipelineStage::percent_before),
            [0, 25, 50, 75]
        );
    }

    #[test]
    fn level_counts_are_bounded() {
        assert!(LevelCount::try_from(0).is_err());
        assert_eq!(LevelCount::try_from(12).map(LevelCount::get), Ok(12));
        let err = serde_json::from_str::<LevelCount>("13").expect_err("too many");
        assert!(err.to_string().contains("between 1 and 12"), "{err}");
    }
}
