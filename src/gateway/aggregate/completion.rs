//! `completion/complete` on `/mcp`: a prompt's argument is completed by the
//! server that owns the prompt, under its own name there; a resource
//! template's by the server that offers the template.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    ClientRequest, CompleteRequest, CompleteRequestParams, CompleteResult, Reference, ServerResult,
};
use rmcp::service::{RequestContext, RoleServer};

use super::{AggregateSession, complete, unexpected};

impl AggregateSession {
    pub(super) async fn complete_argument(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let record = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let (record, name) = self.prompt_owner(&prompt.name, &context).await?;
                prompt.name = name;
                record
            }
            Reference::Resource(template) => {
                let asker = self.asker(&context)?;
                let server = self.template_server(&template.uri, &asker).await?;
                self.record(server).await?
            }
            _ => {
                return Err(McpError::invalid_params(
                    "the registry completes prompts' and resource templates' arguments",
                    Some(serde_json::json!({"reason": "not_offered"})),
                ));
            }
        };
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
