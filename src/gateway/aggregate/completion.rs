//! `completion/complete` on `/mcp`: a prompt's argument is completed by the
//! server that owns the prompt, under its own name there. Resource templates
//! are not offered on `/mcp` (a URI built from one names no server), so
//! neither is their completion.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    ClientRequest, CompleteRequest, CompleteRequestParams, CompleteResult, Reference, ServerResult,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::json;

use super::{AggregateSession, complete, unexpected};

impl AggregateSession {
    pub(super) async fn complete_argument(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let Reference::Prompt(prompt) = &mut request.r#ref else {
            return Err(McpError::invalid_params(
                "resource templates are served, and completed, through each server's own \
                 endpoint (/v1/mcp-servers/{id}/mcp)",
                Some(json!({"reason": "not_offered"})),
            ));
        };
        let (record, name) = self.prompt_owner(&prompt.name, &context).await?;
        prompt.name = name;
        let ask = ClientRequest::CompleteRequest(CompleteRequest::new(request));
        match self.forward(&record, ask, &context).await {
            Ok(ServerResult::CompleteResult(mut result)) => {
                complete(&mut result.result_type);
                Ok(result)
            }
            Ok(other) => Err(unexpected(other)),
            Err((error, _)) => Err(error),
        }
    }
}
