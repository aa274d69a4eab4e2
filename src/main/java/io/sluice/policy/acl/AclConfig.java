package io.sluice.policy.acl;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** acl's configuration (schema/policy/acl.json has the defaults and descriptions). */
public record AclConfig(List<String> allow, List<String> deny,
                        @JsonProperty("hide_groups_header") boolean hideGroupsHeader) {}
