//! Server functions: the pages' calls into the server, each a thin edge over the port.

use leptos::prelude::*;

use crate::dto::{GameRequest, GameView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::port::{Port, Visitor};

    /// The port and the visitor of the current request.
    pub async fn context() -> Result<(Port, Visitor), AppError> {
        let port = leptos::prelude::use_context::<Port>().ok_or(AppError::Internal)?;
        let axum::Extension(visitor) = leptos_axum::extract::<axum::Extension<Visitor>>()
            .await
            .map_err(|_| AppError::Internal)?;
        Ok((port, visitor))
    }
}

/// Starts making a game from an uploaded photo.
#[server(prefix = "/_sf", endpoint = "create_game")]
pub async fn create_game(request: GameRequest) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.create_game(&visitor, request).await
}

/// One of the visitor's games.
#[server(prefix = "/_sf", endpoint = "get_game")]
pub async fn get_game(id: String) -> Result<GameView, AppError> {
    let (port, visitor) = ssr::context().await?;
    port.0.game(&visitor, &id).await
}

/// A game by its public short code.
#[server(prefix = "/_sf", endpoint = "get_game_by_code")]
pub async fn get_game_by_code(code: String) -> Result<GameView, AppError> {
    let port = use_context::<crate::port::Port>().ok_or(AppError::Internal)?;
    port.0.game_by_code(&code).await
}
